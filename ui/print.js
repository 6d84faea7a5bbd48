// The Print button of printable pages (no inline handlers: the pages' CSP forbids them).
document.querySelectorAll('[data-print]').forEach((b) => b.addEventListener('click', () => window.print()));
