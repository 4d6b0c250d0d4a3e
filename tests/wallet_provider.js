/* The injected EIP-1193 test wallet (tests only): see tests/wallet_helpers.py, which fills in the
   account and chain placeholders with Python string formatting (a doubled percent is one). */
(function () {
  var saved = JSON.parse(window.sessionStorage.getItem("testWalletCalls") || "[]");
  var state = { accounts: [%(account)s], chainId: %(chain)s, reject: {}, calls: saved, listeners: {} };
  function emit(name, value) { (state.listeners[name] || []).forEach(function (fn) { fn(value); }); }
  function refuse() { return Promise.reject({ code: 4001, message: "User rejected the request." }); }
  var provider = {
    request: function (args) {
      var method = args.method, params = args.params || [];
      state.calls.push(method);
      window.sessionStorage.setItem("testWalletCalls", JSON.stringify(state.calls));
      if (state.reject[method]) { return refuse(); }
      if (method === "eth_requestAccounts" || method === "eth_accounts") {
        return Promise.resolve(state.accounts.slice());
      }
      if (method === "eth_chainId") { return Promise.resolve(state.chainId); }
      if (method === "wallet_switchEthereumChain") {
        if (params[0].chainId !== %(local)s) {
          return Promise.reject({ code: 4902, message: "Unrecognized chain ID" });
        }
        state.chainId = params[0].chainId; emit("chainChanged", state.chainId);
        return Promise.resolve(null);
      }
      return window.__fedlendTestRpc(method, params).then(function (reply) {
        if (reply.error) { throw reply.error; }
        return reply.result;
      });
    },
    on: function (name, fn) { (state.listeners[name] = state.listeners[name] || []).push(fn); },
    removeListener: function () {}
  };
  window.__testWallet = {
    state: state,
    switchAccount: function (a) { state.accounts = [a]; emit("accountsChanged", [a]); },
    switchChain: function (c) { state.chainId = c; emit("chainChanged", c); },
    reject: function (m, on) { state.reject[m] = on; }
  };
  var info = { uuid: "5b0e6c2e-7d3a-4f57-9d55-fedlend00001", name: "fedlend test wallet",
               icon: "data:image/svg+xml,%%3Csvg xmlns='http://www.w3.org/2000/svg'/%%3E",
               rdns: "org.fedlend.testwallet" };
  function announce() {
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider",
      { detail: Object.freeze({ info: info, provider: provider }) }));
  }
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
