// Ketenbrug console: the inbox updates itself while it is open.
//
// The page works without this script (reload it to see new messages).
// With it, the browser asks /console/inbox/nieuw for news; the broker
// answers when a message arrives (long-poll: it holds the question up to
// half a minute), with the inbox list as HTML, or 204 when nothing came.
// This script only swaps that list in and says so in a status line: it
// builds no content of its own. Served from /console/static/ with a
// Subresource Integrity hash; the Content-Security-Policy allows scripts
// from the console's own files only, and no inline script.
(function () {
	"use strict";
	var list = document.getElementById("kb-inbox");
	var status = document.getElementById("kb-inbox-status");
	if (!list || !status || !window.fetch || !window.DOMParser) {
		return;
	}
	var pause = 1000;
	function again() {
		window.setTimeout(ask, pause);
	}
	function stop(text) {
		status.textContent = text;
	}
	function ask() {
		var url = "/console/inbox/nieuw?na=" + encodeURIComponent(list.getAttribute("data-newest") || "0");
		window.fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
			.then(function (r) {
				if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
					stop("Uw sessie is beëindigd. Laad de pagina opnieuw om in te loggen.");
					return;
				}
				if (r.status === 204) {
					pause = 1000;
					again();
					return;
				}
				if (r.status !== 200) {
					throw new Error("status " + r.status);
				}
				return r.text().then(function (html) {
					var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("kb-inbox");
					if (!fresh) {
						throw new Error("no list");
					}
					list.replaceWith(document.adoptNode(fresh));
					list = fresh;
					status.textContent = "Er is een nieuw bericht binnengekomen.";
					pause = 1000;
					again();
				});
			})
			.catch(function () {
				// The broker is away or restarting: ask less often, up to
				// once a minute.
				pause = Math.min(pause * 2, 60000);
				again();
			});
	}
	again();
})();
