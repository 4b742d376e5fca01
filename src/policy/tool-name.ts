/**
 * Folds a tool name the way an attacker would hope the upstream does: compatibility forms (NFKC:
 * fullwidth letters, ligatures), case, invisible and whitespace characters, and the common
 * Cyrillic/Greek lookalikes of Latin letters. Deny rules are matched against this form as well as
 * the exact name, so `GET-ENV`, `get-env ` or `gеt-env` (Cyrillic е) are refused like `get-env`.
 */
// Variation selectors and joiners are exactly the characters to strip here, alone or combined.
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = /[\s\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]|\uDB40[\uDC00-\uDDEF]/g;

const LOOKALIKES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h', ӏ: 'l', ɡ: 'g',
  // Greek
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', ϲ: 'c',
  // Latin look-alikes and punctuation
  ı: 'i', ȷ: 'j', ℓ: 'l', '‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '−': '-', '﹣': '-', '－': '-', '＿': '_',
};

const LOOKALIKE_RE = new RegExp(`[${Object.keys(LOOKALIKES).join('').replace(/[-\]\\^]/g, '\\$&')}]`, 'g');

export function canonicalToolName(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(INVISIBLE, '')
    .replace(LOOKALIKE_RE, (c) => LOOKALIKES[c] ?? c)
    .normalize('NFKC');
}
