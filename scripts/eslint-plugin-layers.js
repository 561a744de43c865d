// A local ESLint rule that keeps the layers apart by where an import lands, not how it is spelled:
// relative specifiers are resolved against the importing file, then checked against forbidden folders.

import { dirname, relative, resolve, sep } from 'node:path';

/** @type {import('eslint').Rule.RuleModule} */
const noCrossLayerImport = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid imports that resolve into another layer\'s folder' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          forbidden: {
            type: 'array',
            items: {
              type: 'object',
              properties: { folder: { type: 'string' }, reason: { type: 'string' } },
              required: ['folder', 'reason'],
              additionalProperties: false,
            },
          },
        },
        required: ['root', 'forbidden'],
        additionalProperties: false,
      },
    ],
    messages: { crossLayer: "'{{source}}' resolves into {{folder}}/: {{reason}}" },
  },
  create(context) {
    const { root, forbidden } = context.options[0];
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), source)).split(sep).join('/');
      for (const { folder, reason } of forbidden) {
        if (target === folder || target.startsWith(`${folder}/`)) {
          context.report({ node, messageId: 'crossLayer', data: { source, folder, reason } });
          return;
        }
      }
    };
    const literal = (node) => (node && node.type === 'Literal' ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, literal(node.source)),
      TSImportType: (node) => check(node, literal(node.argument?.literal ?? node.argument)),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, literal(node.arguments[0]));
      },
    };
  },
};

export default { meta: { name: 'failover-console-layers' }, rules: { 'no-cross-layer-import': noCrossLayerImport } };
