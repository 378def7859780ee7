// Click-to-load videos (gazette/newsroom/blocks.py, SafeEmbedBlock). The page arrives with a
// placeholder and a plain link; nothing is requested from the provider until the reader
// presses the button, which puts the provider's player (an origin the CSP's frame-src
// allows, nothing else) in the placeholder's place. Without this script the link remains.
(function () {
  "use strict";
  function load(figure) {
    var frame = document.createElement("iframe");
    frame.className = "embed-video__player";
    frame.setAttribute("src", figure.getAttribute("data-player"));
    frame.setAttribute("title", figure.getAttribute("data-title") || "");
    frame.setAttribute("allow", "fullscreen; picture-in-picture; encrypted-media");
    frame.setAttribute("allowfullscreen", "");
    // The player may run its own scripts in its own origin, never navigate this page.
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-presentation allow-popups");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    var placeholder = figure.querySelector(".embed-video__placeholder");
    figure.insertBefore(frame, placeholder);
    placeholder.querySelector(".embed-video__load").hidden = true;
    frame.focus();
  }
  var figures = document.querySelectorAll("figure.embed-video[data-player]");
  Array.prototype.forEach.call(figures, function (figure) {
    var player = figure.getAttribute("data-player") || "";
    if (player.indexOf("https://") !== 0) {
      return;
    }
    var row = figure.querySelector(".embed-video__load");
    row.hidden = false;
    row.querySelector("button").addEventListener("click", function () {
      load(figure);
    });
  });
})();
