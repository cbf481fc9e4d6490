// The import order of src/ (docs/architecture.md), checked by ESLint on every import.
// An area may import only areas on a lower layer, and only through that area's index.ts
// (or a sub-area's, e.g. announcers/bird/index.ts), so each area's surface is its index.
// Areas on the same layer may not import each other: give the shared part a lower home.
import { dirname, relative, resolve, sep } from 'node:path';

/** Lowest first. A new folder under src/ must be placed here before it can import or be imported. */
export const LAYERS = [
  ['clock', 'util', 'lifecycle'],
  ['log', 'files', 'process', 'validation', 'http', 'systemd', 'sockopt'],
  ['bfd'],
  ['bgp', 'checks', 'addresses', 'director'],
  ['health'],
  ['announcers'],
  ['config', 'import', 'client'],
  ['daemon'],
  ['node-ads'],
  ['api'],
  ['cli'],
];

const RANK = new Map(LAYERS.flatMap((areas, rank) => areas.map((area) => [area, rank])));

/** The first folder under src/. */
function areaOf(pathInSrc) {
  const parts = pathInSrc.split(sep);
  return parts.length < 2 ? undefined : parts[0];
}

const importOrder = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the layers of docs/architecture.md' },
    schema: [],
  },
  create(context) {
    const srcRoot = resolve(context.cwd, 'src');
    const file = context.filename;
    const fromInSrc = relative(srcRoot, file);
    if (fromInSrc.startsWith('..')) return {};
    const fromArea = areaOf(fromInSrc);
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const toInSrc = relative(srcRoot, target);
      if (toInSrc.startsWith('..')) {
        context.report({ node, message: `src/ may not import outside src/ ('${source}')` });
        return;
      }
      const toArea = areaOf(toInSrc);
      if (toArea === fromArea) return;
      const fromRank = RANK.get(fromArea);
      const toRank = RANK.get(toArea);
      if (fromRank === undefined || toRank === undefined) {
        const missing = fromRank === undefined ? fromArea : toArea;
        context.report({
          node,
          message: `src/${missing}/ has no layer: add it to LAYERS in lint/layers.js and to docs/architecture.md`,
        });
        return;
      }
      if (toRank >= fromRank) {
        context.report({
          node,
          message: `${fromArea} (layer ${fromRank}) may not import ${toArea} (layer ${toRank}): a lower layer never imports a higher one or a sibling (docs/architecture.md)`,
        });
        return;
      }
      if (!target.endsWith(`${sep}index.js`))
        context.report({
          node,
          message: `import ${toArea} through its index.ts, not '${source}'`,
        });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export const layersPlugin = { rules: { 'import-order': importOrder } };
