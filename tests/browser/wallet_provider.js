// The test wallet's page side (tests/browser/wallet.py fills in its config below): an EIP-1193 provider
// announced through EIP-6963 and optionally set as window.ethereum; every request goes to Python.
(() => {
  const cfg = %(cfg)s;
  const listeners = {};
  const emit = (ev, arg) => (listeners[ev] || []).slice().forEach((fn) => { try { fn(arg); } catch (e) { console.error(e); } });
  const provider = {
    isTierchainTestWallet: true,
    async request(args) {
      const { method, params } = args || {};
      const answer = JSON.parse(await window.__tierchainWallet(JSON.stringify({ method, params: params === undefined ? [] : params })));
      for (const [ev, arg] of answer.emit || []) setTimeout(() => emit(ev, arg), 0);
      if (answer.error) { const e = new Error(answer.error.message); e.code = answer.error.code; throw e; }
      return answer.result;
    },
    on(ev, fn) { (listeners[ev] = listeners[ev] || []).push(fn); return provider; },
    removeListener(ev, fn) { listeners[ev] = (listeners[ev] || []).filter((f) => f !== fn); return provider; },
  };
  window.__tierchainWalletEmit = emit;
  const info = Object.freeze({ uuid: "6f1c2a4e-0000-4000-8000-7465737477", name: "Test Wallet", rdns: "org.tierchain.testwallet",
    icon: "data:image/svg+xml,%%3Csvg xmlns='http://www.w3.org/2000/svg' width='8' height='8'/%%3E" });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  if (cfg.eip6963) { window.addEventListener("eip6963:requestProvider", announce); announce(); }
  if (cfg.windowEthereum) window.ethereum = provider;
})();
