// After a security key or passkey is registered, go on to the page named by the
// registration block's data-after (django-otp-webauthn's script fires this event).
document.addEventListener("otp_webauthn.register_complete", () => {
  const block = document.getElementById("passkey-registration");
  window.location.assign((block && block.dataset.after) || window.location.href);
});
