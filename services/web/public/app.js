// Small behaviours the pages need; no framework. htmx does the requests.
document.addEventListener('htmx:after:swap', (event) => {
  // After a list is swapped in, put focus on the first field that has an error, for keyboard users.
  const invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid instanceof HTMLElement) invalid.focus();
});
