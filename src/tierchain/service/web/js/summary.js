// What is signed is what is shown: the typed data is checked against the declared types (no
// undeclared field, the expected domain, the connected signer) and the summary is built from
// the very object that goes to the wallet, one row per signed field.
import { ethers } from "../vendor/ethers.min.js";
import { formatCents } from "./money.js";
import { formatDateTime } from "./time.js";
import { t, term } from "./i18n.js";

const DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

const f = (spec) => spec.split(",").map((p) => { const [type, name] = p.split(" "); return { name, type }; });

/** The exact EIP-712 types the relay and the desk verify (docs/RELAY.md, docs/DESK.md). */
export const KNOWN_TYPES = {
  AcceptPayable: f("address signer,uint256 payableId,uint256 nonce,uint256 deadline"),
  SplitPiece: f("address signer,uint256 fromTokenId,address to,uint256 value,uint256 nonce,uint256 deadline"),
  MoveValue: f("address signer,uint256 fromTokenId,uint256 toTokenId,uint256 value,uint256 nonce,uint256 deadline"),
  TransferPiece: f("address signer,uint256 tokenId,address to,uint256 nonce,uint256 deadline"),
  Call: f("address signer,address target,bytes data,uint256 nonce,uint256 deadline"),
  Offer: f("address financier,address seller,uint256 tokenId,uint64 value,uint8 pricing,uint64 price,uint16 rateBps,bool recourse,uint256 nonce,uint40 deadline"),
};

const OFFER_TUPLE = "(address financier,address seller,uint256 tokenId,uint64 value,uint8 pricing,uint64 price,uint16 rateBps,bool recourse,uint256 nonce,uint40 deadline)";
export const DESK_ABI = new ethers.Interface([`function take(${OFFER_TUPLE} offer, bytes signature) returns (uint256)`]);
export const SETTLEMENT_ABI = new ethers.Interface(["function claim(uint256 tokenId) returns (uint256)"]);
export const TOKEN_ABI = new ethers.Interface([
  "function accept(uint256 payableId)",
  "function transferFrom(uint256 fromTokenId, address to, uint256 value) returns (uint256)",
  "function transferFrom(address from, address to, uint256 tokenId)",
  "function transferFrom(uint256 fromTokenId, uint256 toTokenId, uint256 value)",
]);
export const ERC20_ABI = new ethers.Interface([
  "function approve(address spender, uint256 value) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
]);

export class TypedDataError extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

const sameAddress = (a, b) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
const sameFields = (a, b) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x && x.name === b[i].name && x.type === b[i].type && Object.keys(x).length === 2);

/** Refuse typed data that is not exactly one of the known types in the expected domain, with
 *  exactly the declared fields, for the connected account. */
export function checkTypedData(td, { chainId, verifyingContract, signer }) {
  if (!td || typeof td !== "object") throw new TypedDataError("err.td_shape");
  const primary = td.primaryType;
  const expected = KNOWN_TYPES[primary];
  if (!expected) throw new TypedDataError("err.td_type", { type: String(primary) });
  const typeNames = Object.keys(td.types || {}).sort();
  if (typeNames.join(",") !== ["EIP712Domain", primary].sort().join(",")) throw new TypedDataError("err.td_extra_types");
  if (!sameFields(td.types[primary], expected) || !sameFields(td.types.EIP712Domain, DOMAIN_FIELDS)) throw new TypedDataError("err.td_fields", { type: primary });
  const declared = expected.map((x) => x.name).sort().join(",");
  if (Object.keys(td.message || {}).sort().join(",") !== declared) throw new TypedDataError("err.td_undeclared", { type: primary });
  if (Object.keys(td.domain || {}).sort().join(",") !== DOMAIN_FIELDS.map((x) => x.name).sort().join(",")) throw new TypedDataError("err.td_domain");
  if (String(td.domain.chainId) !== String(chainId)) throw new TypedDataError("err.td_chain", { chain: String(td.domain.chainId) });
  if (!sameAddress(td.domain.verifyingContract, verifyingContract)) throw new TypedDataError("err.td_contract");
  const who = primary === "Offer" ? td.message.financier : td.message.signer;
  if (!sameAddress(who, signer)) throw new TypedDataError("err.td_signer");
  // ethers hashes it exactly as the contract will: any value that does not fit its type throws.
  const types = { [primary]: td.types[primary] };
  try {
    return ethers.TypedDataEncoder.hash(td.domain, types, td.message);
  } catch (e) {
    throw new TypedDataError("err.td_values", { reason: e.shortMessage || e.message });
  }
}

function short(addr) {
  return typeof addr === "string" && addr.length > 12 ? `${addr.slice(0, 6)}…${addr.slice(-4)}` : String(addr);
}

/** Names the page knows for addresses (the connected account, the contracts). */
export function addressLabel(addr, ctx) {
  if (sameAddress(addr, ctx.account)) return `${t("word.me")} (${short(addr)})`;
  for (const [name, a] of Object.entries((ctx.deployment && ctx.deployment.contracts) || {})) {
    if (sameAddress(addr, a)) return `${t("contract." + name)} (${short(addr)})`;
  }
  if (/^0x0{40}$/i.test(addr)) return t("word.anyone");
  return short(addr);
}

function pieceLabel(tokenId, ctx) {
  const s = ctx.shortIds && ctx.shortIds[String(tokenId)];
  return s ? `${s}` : `#${String(tokenId).slice(0, 6)}…${String(tokenId).slice(-4)}`;
}

function row(field, raw, shown) {
  return { field, raw: String(raw), shown, label: t("field." + field) };
}

/** Rows for each message field and the sentence that says what happens. For a `Call`, the
 *  calldata is decoded here, so the rows show what the call does, not opaque bytes. */
export function summarize(td, ctx) {
  const m = td.message;
  const cur = (ctx.currency && ctx.currency.code) || "eCNY";
  const rows = [];
  let sentence = "";
  let decoded = [];
  const when = (s) => `${formatDateTime(s)} ${t("word.beijing")}`;
  const fields = {
    signer: () => addressLabel(m.signer, ctx),
    financier: () => addressLabel(m.financier, ctx),
    seller: () => addressLabel(m.seller, ctx),
    to: () => addressLabel(m.to, ctx),
    target: () => addressLabel(m.target, ctx),
    payableId: () => `${term("payable")} ${m.payableId}`,
    fromTokenId: () => pieceLabel(m.fromTokenId, ctx),
    toTokenId: () => pieceLabel(m.toTokenId, ctx),
    tokenId: () => pieceLabel(m.tokenId, ctx),
    value: () => formatCents(m.value, cur),
    price: () => (String(m.pricing) === "0" ? formatCents(m.price, cur) : t("word.by_rate")),
    pricing: () => (String(m.pricing) === "0" ? t("pricing.fixed") : t("pricing.rate")),
    rateBps: () => `${(Number(m.rateBps) / 100).toFixed(2)}% ${t("word.per_year")}`,
    recourse: () => (m.recourse === true || m.recourse === "true" ? t("word.with_recourse") : t("word.without_recourse")),
    nonce: () => String(m.nonce),
    deadline: () => when(m.deadline),
    data: () => t("word.decoded_below"),
  };
  for (const { name } of KNOWN_TYPES[td.primaryType]) rows.push(row(name, m[name], (fields[name] || (() => String(m[name])))()));
  switch (td.primaryType) {
    case "AcceptPayable":
      sentence = t("sum.accept", { signer: fields.signer(), payable: m.payableId, deadline: when(m.deadline) });
      break;
    case "SplitPiece":
      sentence = t("sum.split", { signer: fields.signer(), value: fields.value(), piece: fields.fromTokenId(), to: fields.to(), deadline: when(m.deadline) });
      break;
    case "MoveValue":
      sentence = t("sum.move", { signer: fields.signer(), value: fields.value(), piece: fields.fromTokenId(), to: fields.toTokenId(), deadline: when(m.deadline) });
      break;
    case "TransferPiece":
      sentence = t("sum.transfer", { signer: fields.signer(), piece: fields.tokenId(), to: fields.to(), deadline: when(m.deadline) });
      break;
    case "Offer":
      sentence = t("sum.offer", {
        financier: fields.financier(), value: fields.value(), piece: fields.tokenId(),
        price: String(m.pricing) === "0" ? fields.price() : fields.rateBps(), recourse: fields.recourse(), deadline: when(m.deadline),
      });
      break;
    case "Call": {
      const d = decodeCall(m.target, m.data, ctx);
      decoded = d.rows;
      sentence = d.sentence ? d.sentence(fields.signer(), when(m.deadline)) : t("sum.call_unknown", { target: fields.target() });
      break;
    }
    default:
      break;
  }
  return { primaryType: td.primaryType, rows, decoded, sentence };
}

/** A relayed Call's calldata, decoded against the contract it targets. */
export function decodeCall(target, data, ctx) {
  const contracts = (ctx.deployment && ctx.deployment.contracts) || {};
  const cur = (ctx.currency && ctx.currency.code) || "eCNY";
  try {
    if (sameAddress(target, contracts.desk)) {
      const [offer] = DESK_ABI.decodeFunctionData("take", data);
      const o = {
        financier: offer.financier, seller: offer.seller, tokenId: offer.tokenId.toString(), value: offer.value.toString(),
        pricing: offer.pricing.toString(), price: offer.price.toString(), rateBps: offer.rateBps.toString(),
        recourse: offer.recourse, nonce: offer.nonce.toString(), deadline: offer.deadline.toString(),
      };
      const price = o.pricing === "0" ? formatCents(o.price, cur) : `${(Number(o.rateBps) / 100).toFixed(2)}% ${t("word.per_year")}`;
      const rows = [
        row("call.function", "take", t("call.take")),
        row("offer.financier", o.financier, addressLabel(o.financier, ctx)),
        row("offer.tokenId", o.tokenId, pieceLabel(o.tokenId, ctx)),
        row("offer.value", o.value, formatCents(o.value, cur)),
        row("offer.price", o.pricing === "0" ? o.price : o.rateBps, price),
        row("offer.recourse", String(o.recourse), o.recourse ? t("word.with_recourse") : t("word.without_recourse")),
        row("offer.deadline", o.deadline, `${formatDateTime(o.deadline)} ${t("word.beijing")}`),
      ];
      return {
        rows, offer: o,
        sentence: (signer, deadline) => t("sum.take", { signer, value: formatCents(o.value, cur), piece: pieceLabel(o.tokenId, ctx), financier: addressLabel(o.financier, ctx), price, deadline }),
      };
    }
    if (sameAddress(target, contracts.settlement)) {
      const [tokenId] = SETTLEMENT_ABI.decodeFunctionData("claim", data);
      return {
        rows: [row("call.function", "claim", t("call.claim")), row("call.tokenId", tokenId.toString(), pieceLabel(tokenId.toString(), ctx))],
        sentence: (signer, deadline) => t("sum.claim", { signer, piece: pieceLabel(tokenId.toString(), ctx), deadline }),
      };
    }
  } catch {
    /* falls through to unknown */
  }
  return { rows: [], sentence: null };
}

/** The direct transaction must do what the typed request says: decode it and compare. */
export function directTxMatches(td, tx, ctx) {
  const m = td.message;
  const c = (ctx.deployment && ctx.deployment.contracts) || {};
  try {
    switch (td.primaryType) {
      case "AcceptPayable": {
        const [id] = TOKEN_ABI.decodeFunctionData("accept", tx.data);
        return sameAddress(tx.to, c.token) && id.toString() === String(m.payableId);
      }
      case "SplitPiece": {
        const [from, to, value] = TOKEN_ABI.decodeFunctionData("transferFrom(uint256,address,uint256)", tx.data);
        return sameAddress(tx.to, c.token) && from.toString() === String(m.fromTokenId) && sameAddress(to, m.to) && value.toString() === String(m.value);
      }
      case "MoveValue": {
        const [from, to, value] = TOKEN_ABI.decodeFunctionData("transferFrom(uint256,uint256,uint256)", tx.data);
        return sameAddress(tx.to, c.token) && from.toString() === String(m.fromTokenId) && to.toString() === String(m.toTokenId) && value.toString() === String(m.value);
      }
      case "TransferPiece": {
        const [from, to, id] = TOKEN_ABI.decodeFunctionData("transferFrom(address,address,uint256)", tx.data);
        return sameAddress(tx.to, c.token) && sameAddress(from, m.signer) && sameAddress(to, m.to) && id.toString() === String(m.tokenId);
      }
      case "Call":
        return sameAddress(tx.to, m.target) && String(tx.data).toLowerCase() === String(m.data).toLowerCase();
      default:
        return false;
    }
  } catch {
    return false;
  }
}
