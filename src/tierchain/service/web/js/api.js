// The service's JSON API (/api/v1). A failure is an ApiError with a stable code and words.

export class ApiError extends Error {
  constructor(code, message, details = {}, status = 0) {
    super(message);
    this.code = code;
    this.details = details;
    this.status = status;
  }
}

const BASE = "api/v1";

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError("ServiceDown", String(e && e.message ? e.message : e));
  }
  let doc = null;
  try {
    doc = await res.json();
  } catch {
    if (res.status >= 500 || res.status === 0) throw new ApiError("ServiceDown", `HTTP ${res.status}`, {}, res.status);
    throw new ApiError("BadResponse", `HTTP ${res.status}`, {}, res.status);
  }
  if (!res.ok) {
    const err = (doc && doc.error) || {};
    const code = res.status === 502 || res.status === 504 ? "ServiceDown" : err.code || `HTTP${res.status}`;
    throw new ApiError(code, err.message || `HTTP ${res.status}`, err.details || {}, res.status);
  }
  return doc;
}

const enc = encodeURIComponent;

export const api = {
  health: () => call("GET", "/health"),
  deployment: () => call("GET", "/deployment"),
  member: (a) => call("GET", `/members/${enc(a)}`),
  pieces: (a) => call("GET", `/members/${enc(a)}/pieces?limit=500`),
  pending: (a) => call("GET", `/members/${enc(a)}/pending-payables?limit=500`),
  history: (a) => call("GET", `/members/${enc(a)}/history?limit=500`),
  piece: (id) => call("GET", `/pieces/${enc(id)}`),
  offers: (id) => call("GET", `/pieces/${enc(id)}/offers`),
  draft: (body) => call("POST", "/requests/draft", body),
  submit: (typedData, signature) => call("POST", "/requests", { typed_data: typedData, signature }),
  request: (id) => call("GET", `/requests/${enc(id)}`),
  postOffer: (typedData, signature) => call("POST", "/offers", { typed_data: typedData, signature }),
};
