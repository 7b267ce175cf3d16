// wuye's only script, served by wuye itself. Inside Telegram (a Mini App) it hands the page Telegram's
// initData to check on the server (the server never takes this page's word for who someone is),
// follows Telegram's theme colours and shows Telegram's back button. It speaks Telegram's documented
// Mini App events itself instead of loading telegram-web-app.js from Telegram's servers.
(function () {
  "use strict";
  var hash = new URLSearchParams(window.location.hash.slice(1));
  var stored = null;
  try { stored = window.sessionStorage.getItem("wuye-tg"); } catch (e) { stored = null; }
  var initData = hash.get("tgWebAppData");
  var theme = hash.get("tgWebAppThemeParams");
  if (initData) {
    try { window.sessionStorage.setItem("wuye-tg", theme || "{}"); } catch (e) { /* private mode */ }
  } else if (stored !== null) {
    theme = stored;
  }
  var inTelegram = Boolean(initData) || stored !== null;

  function postEvent(type, data) {
    var payload = JSON.stringify(data || {});
    if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
      window.TelegramWebviewProxy.postEvent(type, payload);  // the mobile apps
    } else if (window.external && window.external.notify) {
      window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
    } else if (window.parent !== window) {
      window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "https://web.telegram.org");
    }
  }

  function applyTheme(params) {
    var root = document.documentElement.style;
    var names = { bg_color: "--tg-bg", text_color: "--tg-text", hint_color: "--tg-hint",
      link_color: "--tg-link", button_color: "--tg-button", button_text_color: "--tg-button-text",
      secondary_bg_color: "--tg-secondary-bg" };
    Object.keys(names).forEach(function (key) {
      if (params && typeof params[key] === "string" && /^#[0-9a-fA-F]{6}$/.test(params[key])) {
        root.setProperty(names[key], params[key]);
      }
    });
  }

  if (theme) {
    try { applyTheme(JSON.parse(theme)); } catch (e) { /* not JSON: keep our colours */ }
  }

  if (inTelegram) {
    // Telegram calls window.Telegram.WebView.receiveEvent for its events; the back button's press is one.
    window.Telegram = window.Telegram || {};
    window.Telegram.WebView = window.Telegram.WebView || {};
    var receive = function (type, data) {
      if (type === "back_button_pressed") { window.history.back(); }
      if (type === "theme_changed" && data && data.theme_params) {  // the user switched day and night
        applyTheme(data.theme_params);
        try { window.sessionStorage.setItem("wuye-tg", JSON.stringify(data.theme_params)); } catch (e) { /* private mode */ }
      }
    };
    window.Telegram.WebView.receiveEvent = receive;  // the mobile and desktop apps call this
    window.addEventListener("message", function (event) {  // Telegram Web posts its events to the frame
      if (event.source !== window.parent) { return; }
      try {
        var message = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
        if (message && typeof message.eventType === "string") { receive(message.eventType, message.eventData); }
      } catch (e) { /* not one of Telegram's */ }
    });
    postEvent("web_app_ready");
    // Shown once there is somewhere to go back to inside the pages (the first page has no back).
    postEvent("web_app_setup_back_button", { is_visible: window.history.length > 1 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("miniapp");
    var field = document.getElementById("init_data");
    if (form && field && initData) {
      field.value = initData;
      // Signed in, the page Telegram opened is replaced in the history by the one it leads to, so that
      // Telegram's back button does not land on it again (and sign in again, round and round).
      if (window.fetch && window.URLSearchParams && window.FormData) {
        window.fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
          .then(function (response) {
            if (response.redirected) { window.location.replace(response.url); } else { form.submit(); }
          })
          .catch(function () { form.submit(); });
      } else {
        form.submit();
      }
    }
  });
})();
