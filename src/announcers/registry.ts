/** Every routing-daemon announcer, by the word a config uses for it. */
import type { AnnouncerDefinition, RoutingDaemonKind } from './definition.js';
import { birdDefinition } from './bird/index.js';
import { exabgpDefinition } from './exabgp/index.js';
import { frroutingDefinition } from './frrouting/index.js';
import { gobgpDefinition } from './gobgp/index.js';

export const routingDaemons: Readonly<Record<RoutingDaemonKind, AnnouncerDefinition<unknown>>> = {
  bird: birdDefinition,
  frrouting: frroutingDefinition,
  gobgp: gobgpDefinition,
  exabgp: exabgpDefinition,
};

export const ROUTING_DAEMON_KINDS = Object.keys(routingDaemons) as RoutingDaemonKind[];
