// Browser wallets: EIP-6963 discovery (several wallets side by side) with the window.ethereum
// fallback, the chain check (switch, then add on 4902), and account/chain changes followed.

export class WalletError extends Error {
  constructor(key, code = null, message = "") {
    super(message || key);
    this.key = key;
    this.code = code;
  }
}

/** Wallets announced through EIP-6963, else window.ethereum as one wallet. Injected wallets
 *  answer the request event at once; a late one gets `waitMs` more when none answered. */
export async function discoverWallets(waitMs = 150) {
  const found = new Map();
  const onAnnounce = (event) => {
    const d = event.detail;
    if (d && d.info && d.provider && !found.has(d.info.uuid)) found.set(d.info.uuid, { info: d.info, provider: d.provider });
  };
  window.addEventListener("eip6963:announceProvider", onAnnounce);
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (found.size === 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  window.removeEventListener("eip6963:announceProvider", onAnnounce);
  const wallets = [...found.values()];
  if (wallets.length === 0 && window.ethereum) {
    wallets.push({ info: { uuid: "window.ethereum", name: "window.ethereum", rdns: "" }, provider: window.ethereum });
  }
  return wallets;
}

function asWalletError(e) {
  if (e instanceof WalletError) return e;
  const code = e && typeof e.code === "number" ? e.code : null;
  if (code === 4001) return new WalletError("err.wallet_rejected", code, e.message);
  if (code === 4100) return new WalletError("err.wallet_unauthorized", code, e.message);
  if (code === 4200) return new WalletError("err.wallet_unsupported", code, e.message);
  return new WalletError("err.wallet_failed", code, (e && e.message) || String(e));
}

const hexChain = (id) => "0x" + BigInt(id).toString(16);

export class Wallet {
  constructor(entry, { onChange }) {
    this.info = entry.info;
    this.provider = entry.provider;
    this.account = null;
    this.chainId = null;
    this.onChange = onChange;
    this._accounts = (accounts) => {
      this.account = accounts && accounts.length ? accounts[0] : null;
      this.onChange("accounts");
    };
    this._chain = (chainId) => {
      this.chainId = BigInt(chainId).toString();
      this.onChange("chain");
    };
  }

  async request(method, params) {
    try {
      return await this.provider.request(params === undefined ? { method } : { method, params });
    } catch (e) {
      throw asWalletError(e);
    }
  }

  /** Ask for the accounts (a prompt), or take `known` from eth_accounts (a return visit). */
  async connect(known = null) {
    const accounts = known && known.length ? known : await this.request("eth_requestAccounts");
    this.account = accounts && accounts.length ? accounts[0] : null;
    this.chainId = BigInt(await this.request("eth_chainId")).toString();
    if (typeof this.provider.on === "function") {
      this.provider.on("accountsChanged", this._accounts);
      this.provider.on("chainChanged", this._chain);
    }
    return this.account;
  }

  disconnect() {
    if (typeof this.provider.removeListener === "function") {
      this.provider.removeListener("accountsChanged", this._accounts);
      this.provider.removeListener("chainChanged", this._chain);
    }
    this.account = null;
  }

  /** Make the wallet use `chainId`: wallet_switchEthereumChain, and on 4902 (unknown chain)
   *  wallet_addEthereumChain with `addParams` (if the service told us an RPC address). */
  async ensureChain(chainId, addParams) {
    if (this.chainId === String(chainId)) return;
    try {
      await this.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hexChain(chainId) }] });
    } catch (e) {
      if (e && e.code === 4902) {
        if (!addParams || !addParams.rpcUrls || !addParams.rpcUrls.length) throw new WalletError("err.chain_unknown_no_rpc", 4902);
        try {
          await this.provider.request({ method: "wallet_addEthereumChain", params: [{ chainId: hexChain(chainId), ...addParams }] });
          await this.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: hexChain(chainId) }] });
        } catch (e2) {
          throw asWalletError(e2).code === 4001 ? new WalletError("err.chain_switch_rejected", 4001) : asWalletError(e2);
        }
      } else if (e && e.code === 4001) {
        throw new WalletError("err.chain_switch_rejected", 4001);
      } else {
        throw asWalletError(e);
      }
    }
    this.chainId = BigInt(await this.request("eth_chainId")).toString();
    if (this.chainId !== String(chainId)) throw new WalletError("err.chain_wrong", null);
  }

  async signTypedData(typedData) {
    return this.request("eth_signTypedData_v4", [this.account, JSON.stringify(typedData)]);
  }

  async sendTransaction(tx) {
    return this.request("eth_sendTransaction", [{ from: this.account, to: tx.to, data: tx.data }]);
  }

  async call(to, data) {
    return this.request("eth_call", [{ to, data }, "latest"]);
  }

  async receipt(hash) {
    return this.request("eth_getTransactionReceipt", [hash]);
  }
}
