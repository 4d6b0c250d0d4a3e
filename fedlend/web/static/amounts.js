/* Rounded ETH amounts (<span class="eth" data-eth-exact>): copying one copies the exact amount. */
(function () {
  "use strict";
  document.addEventListener("copy", function (event) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount !== 1 || !event.clipboardData) { return; }
    var node = selection.getRangeAt(0).commonAncestorContainer;
    var el = node.nodeType === 1 ? node : node.parentElement;
    var amount = el && el.closest("[data-eth-exact]");
    if (!amount) { return; }
    event.clipboardData.setData("text/plain", amount.dataset.ethExact);
    event.preventDefault();
  });
})();
