/**
 * Whether `input` is a structurally valid IBAN (ISO 13616): country code, two check digits and a
 * 11–30 character account part, with the mod-97 checksum equal to 1. Spaces are ignored; the
 * country's own length is not checked (a bank does that when the payment is executed).
 */
export function isValidIban(input: string): boolean {
  const iban = input.replaceAll(' ', '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    // A..Z count as 10..35: two digits, folded in one at a time so the number never grows.
    const digits = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}
