// Money from decimal strings: never through JavaScript numbers (they lose cents above 2^53).
// An amount on the wire is {amount, units, currency, decimals}; `units` (an integer string) is
// the truth, `amount` is its decimal text.

const SYMBOLS = { eCNY: "¥", CNY: "¥", RMB: "¥" };

/** "1234567" → "1,234,567" (ASCII digits only). */
export function groupDigits(digits) {
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return out;
}

/** Integer units (BigInt or integer string) with `decimals` → "1,234.56"; `places` fewer than
 *  `decimals` rounds DOWN (a balance never shows more than there is). */
export function formatUnits(units, decimals, places = decimals, grouping = true) {
  let n = typeof units === "bigint" ? units : BigInt(String(units));
  const sign = n < 0n ? "-" : "";
  if (n < 0n) n = -n;
  const scale = 10n ** BigInt(decimals);
  const whole = (n / scale).toString();
  let frac = decimals > 0 ? (n % scale).toString().padStart(decimals, "0") : "";
  const shown = Math.min(places, decimals);
  frac = frac.slice(0, shown); // truncation = rounding down for a non-negative amount
  const head = grouping ? groupDigits(whole) : whole;
  return sign + head + (shown > 0 ? "." + frac : "");
}

/** A money object → "¥1,234.56" (or "1,234.56 USDC"), at most `places` decimals, rounded down. */
export function formatMoney(money, places = 2) {
  if (!money || money.units === undefined) return "—";
  const decimals = Number(money.decimals);
  const text = formatUnits(money.units, decimals, Math.min(places, decimals));
  const symbol = SYMBOLS[money.currency];
  return symbol ? symbol + text : `${text} ${money.currency || ""}`.trim();
}

/** Cents of a piece (an integer string from typed data) → money text in the payable currency. */
export function formatCents(cents, currency = "eCNY") {
  return formatMoney({ units: String(cents), decimals: 2, currency });
}

export class AmountError extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

const AMOUNT_RE = /^([0-9]+)(?:\.([0-9]+))?$/;

/** Strict user input → BigInt units, refusing as the library does (tierchain.core.money):
 *  digits and one optional ".", no sign, exponent, spaces or separators; at most `decimals`
 *  fractional digits; above zero; at most `maximum` units. Throws AmountError(key, params). */
export function parseAmount(text, decimals, maximum = null) {
  const s = String(text ?? "").trim();
  if (s === "") throw new AmountError("err.amount_empty");
  const m = AMOUNT_RE.exec(s);
  if (!m) throw new AmountError("err.amount_format", { text: s.slice(0, 40) });
  const whole = m[1];
  const frac = m[2] || "";
  if (frac.length > decimals) throw new AmountError("err.amount_decimals", { text: s, decimals });
  if (whole.replace(/^0+/, "").length > 80) throw new AmountError("err.amount_large", { text: s.slice(0, 40) });
  const units = BigInt(whole) * 10n ** BigInt(decimals) + (decimals ? BigInt(frac.padEnd(decimals, "0") || "0") : 0n);
  if (units === 0n) throw new AmountError("err.amount_zero");
  if (maximum !== null && units > BigInt(maximum)) {
    throw new AmountError("err.amount_above", { text: s, maximum: formatUnits(BigInt(maximum), decimals) });
  }
  return units;
}

/** BigInt units → plain decimal text without grouping ("3000.00"), as the API takes amounts. */
export function unitsToAmount(units, decimals) {
  return formatUnits(units, decimals, decimals, false);
}
