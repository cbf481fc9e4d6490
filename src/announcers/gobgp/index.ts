// PLACEHOLDER until the GoBGP announcer lands: replaced by its real definition.
import { AnnouncerFailure } from '../errors.js';
import type { AnnouncerDefinition } from '../definition.js';
import { isTable } from '../../config/issues.js';

export const gobgpDefinition: AnnouncerDefinition<Record<string, never>> = {
  kind: 'gobgp',
  title: 'GoBGP',
  supportsVrf: false,
  supportsAttributes: false,
  parse(raw, path, issues) {
    if (!isTable(raw) || Object.keys(raw).length > 0) issues.add(path, 'not built yet');
    return {};
  },
  create() {
    throw new AnnouncerFailure('ANNOUNCER_CONFIG', 'the GoBGP announcer is not built yet');
  },
};
