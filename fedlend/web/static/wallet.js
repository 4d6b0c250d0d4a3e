/* fedlend wallet mode: find the browser wallet (EIP-6963, else window.ethereum), check its chain
   (offer wallet_switchEthereumChain / wallet_addEthereumChain), sign in with Ethereum (EIP-4361:
   the server writes the message with a single-use nonce), and for every running job answer the
   wallet request it waits on: a review screen in plain words first, then the wallet (EIP-1193).
   A rejection in the wallet (code 4001) is reported to the job as such: a normal outcome. */
(function () {
  "use strict";
  var slot = document.querySelector("[data-signing-mode='wallet']");
  if (!slot) { return; }
  var csrf = (document.querySelector("meta[name='csrf-token']") || {}).content || "";
  var status = document.getElementById("wallet-status");
  var providers = [];
  var provider = null;
  var busy = {};

  function say(text) { if (status) { status.textContent = text || ""; } }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { throw new Error(data.error || data.message || ("HTTP " + r.status)); }
        return data;
      });
    });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
  }

  function discover() {
    return new Promise(function (resolve) {
      window.addEventListener("eip6963:announceProvider", function (event) {
        if (event.detail && event.detail.provider) { providers.push(event.detail); }
      });
      window.dispatchEvent(new Event("eip6963:requestProvider"));
      window.setTimeout(function () {
        if (providers.length) { resolve(providers[0].provider); return; }
        resolve(window.ethereum || null);
      }, 300);
    });
  }

  function hexOf(text) {
    var bytes = new TextEncoder().encode(text), out = "0x";
    bytes.forEach(function (b) { out += ("0" + b.toString(16)).slice(-2); });
    return out;
  }

  function rejected(error) { return error && error.code === 4001; }

  function ensureChain(session) {
    if (!session.chain) { throw new Error(session.chain_error || "the chain is unavailable"); }
    return provider.request({ method: "eth_chainId" }).then(function (current) {
      if (parseInt(current, 16) === parseInt(session.chain.chainId, 16)) { return; }
      say("Your wallet is on chain " + parseInt(current, 16) + "; this app uses chain " +
          parseInt(session.chain.chainId, 16) + ". Asking your wallet to switch…");
      return provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: session.chain.chainId }] })
        .catch(function (error) {
          if (error && error.code === 4902) {
            return provider.request({ method: "wallet_addEthereumChain", params: [session.chain] });
          }
          throw error;
        });
    });
  }

  function connect() {
    if (!provider) { say("No browser wallet found: install one (or use key mode from the command line)."); return; }
    say("Asking your wallet for an account…");
    var session, address;
    getJson(slot.dataset.sessionUrl).then(function (s) {
      session = s;
      return provider.request({ method: "eth_requestAccounts" });
    }).then(function (accounts) {
      address = accounts && accounts[0];
      if (!address) { throw new Error("the wallet gave no account"); }
      return ensureChain(session);
    }).then(function () {
      return provider.request({ method: "eth_chainId" });
    }).then(function (chainId) {
      return post(slot.dataset.nonceUrl, { address: address, chainId: parseInt(chainId, 16) });
    }).then(function (data) {
      say("Sign the sign-in message in your wallet (no transaction, no fee)…");
      return provider.request({ method: "personal_sign", params: [hexOf(data.message), address] })
        .then(function (signature) { return post(slot.dataset.loginUrl, { message: data.message, signature: signature }); });
    }).then(function () {
      say("Signed in."); window.location.reload();
    }).catch(function (error) {
      say(rejected(error) ? "You declined in your wallet: not signed in." : "Not signed in: " + (error.message || error));
    });
  }

  function signOut(reason) {
    return post(slot.dataset.logoutUrl, {}).then(function () {
      if (reason) { window.sessionStorage.setItem("fedlend-wallet-notice", reason); }
      window.location.reload();
    });
  }

  function watch() {
    if (!provider || !provider.on || !slot.dataset.address) { return; }
    provider.on("accountsChanged", function (accounts) {
      var now = (accounts && accounts[0] || "").toLowerCase();
      if (now !== slot.dataset.address.toLowerCase()) {
        signOut("You switched account in your wallet, so you were signed out: connect again to act as the new account.");
      }
    });
    provider.on("chainChanged", function (chainId) {
      if (parseInt(chainId, 16) !== parseInt(slot.dataset.chainId, 10)) {
        signOut("Your wallet switched to chain " + parseInt(chainId, 16) + ", so you were signed out: switch back and connect again.");
      }
    });
  }

  function fill(dialog, name, value) {
    var el = dialog.querySelector("[data-review='" + name + "']");
    if (!el) { return; }
    el.textContent = value || "";
    var row = el.closest("[data-review-row]");
    if (row) { row.hidden = !value; }
  }

  function review(request) {
    var dialog = document.getElementById("wallet-review");
    var r = request.review || {};
    fill(dialog, "title", r.title);
    fill(dialog, "summary", r.summary);
    fill(dialog, "amount", r.value_text);
    var amount = dialog.querySelector("[data-review='amount']");
    if (amount) { amount.title = r.value_exact || ""; }
    fill(dialog, "fee", r.fee_text);
    fill(dialog, "contract", r.to);
    fill(dialog, "chain", r.chain_id ? String(r.chain_id) : "");
    fill(dialog, "from", request.address);
    return new Promise(function (resolve) {
      var ok = dialog.querySelector("[data-review-confirm]"), no = dialog.querySelector("[data-review-reject]");
      function done(answer) { ok.onclick = no.onclick = null; dialog.close(); resolve(answer); }
      ok.onclick = function () { done(true); };
      no.onclick = function () { done(false); };
      dialog.showModal();
      ok.focus();
    });
  }

  var METHODS = { send_transaction: "eth_sendTransaction", sign_typed_data: "eth_signTypedData_v4", personal_sign: "personal_sign" };

  function ask(request) {
    var params = request.params;
    if (request.kind === "sign_typed_data") { params = [params[0], JSON.stringify(params[1])]; }
    return provider.request({ method: "eth_accounts" }).then(function (accounts) {
      if (!accounts || (accounts[0] || "").toLowerCase() !== request.address.toLowerCase()) {
        throw { code: -32000, message: "the wallet's account is not " + request.address + ": switch back to it" };
      }
      return provider.request({ method: METHODS[request.kind], params: params });
    });
  }

  function answer(request, body) {
    return post(slot.dataset.requestsUrl + request.id, body);
  }

  function handle(request) {
    if (busy[request.id]) { return; }
    busy[request.id] = true;
    review(request).then(function (go) {
      if (!go) { return answer(request, { error: { code: 4001, message: "rejected on the review screen" } }); }
      say("Waiting for your wallet…");
      return ask(request).then(function (result) {
        say(request.kind === "send_transaction" ? "Sent; following transaction " + String(result).slice(0, 10) + "…" : "Signed.");
        return answer(request, { result: result });
      }, function (error) {
        say(rejected(error) ? "You rejected it in your wallet." : "The wallet refused: " + (error.message || error));
        return answer(request, { error: { code: error.code || -1, message: String(error.message || error) } });
      });
    }).catch(function (error) { say("Could not reach the app: " + (error.message || error)); });
  }

  function pollJobs() {
    document.querySelectorAll(".job[data-job-url]").forEach(function (box) {
      var jobId = box.id.replace(/^job-/, "");
      getJson(slot.dataset.requestsUrl + jobId).then(function (data) {
        if (data.request) { handle(data.request); }
      }).catch(function () { /* the job page's own poller reports lost contact */ });
    });
    window.setTimeout(pollJobs, 700);
  }

  var notice = window.sessionStorage.getItem("fedlend-wallet-notice");
  if (notice) { say(notice); window.sessionStorage.removeItem("fedlend-wallet-notice"); }
  discover().then(function (found) {
    provider = found;
    var connectButton = document.getElementById("wallet-connect");
    if (connectButton) { connectButton.disabled = false; connectButton.addEventListener("click", connect); }
    var out = document.getElementById("wallet-signout");
    if (out) { out.addEventListener("click", function () { signOut(""); }); }
    if (!provider && connectButton) { say("No browser wallet found in this browser."); }
    watch();
    if (slot.dataset.address && provider) { pollJobs(); }
    slot.dataset.walletReady = provider ? "yes" : "none";
  });
})();
