// PLACEHOLDER until the BIRD announcer lands: replaced by its real definition.
import { AnnouncerFailure } from '../errors.js';
import type { AnnouncerDefinition } from '../definition.js';
import { isTable } from '../../config/issues.js';

export const birdDefinition: AnnouncerDefinition<Record<string, never>> = {
  kind: 'bird',
  title: 'BIRD',
  supportsVrf: false,
  supportsAttributes: false,
  parse(raw, path, issues) {
    if (!isTable(raw) || Object.keys(raw).length > 0) issues.add(path, 'not built yet');
    return {};
  },
  create() {
    throw new AnnouncerFailure('ANNOUNCER_CONFIG', 'the BIRD announcer is not built yet');
  },
};
