/** List methods whose replies are filtered item by item, and the call each item stands for. */
export const LISTS: Readonly<Record<string, { readonly field: string; readonly call: string }>> = {
  'tools/list': { field: 'tools', call: 'tools/call' },
  'prompts/list': { field: 'prompts', call: 'prompts/get' },
  'resources/list': { field: 'resources', call: 'resources/read' },
  'resources/templates/list': { field: 'resourceTemplates', call: 'resources/read' },
};

/** The result members list replies carry their items in: tools, prompts, resources, resourceTemplates. */
export const LIST_FIELDS: ReadonlySet<string> = new Set(Object.values(LISTS).map((l) => l.field));
