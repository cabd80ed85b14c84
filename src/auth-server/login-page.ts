/**
 * The tiny login-and-consent page of the authorize endpoint. Plain HTML, no script, one form:
 * labelled inputs, a fieldset listing the requested scopes, visible focus, works with a screen
 * reader and without CSS. Every interpolated value is HTML-escaped.
 */

/** What the page shows. */
export interface LoginPageModel {
  clientId: string
  scopes: readonly string[]
  requestId: string
  action: string
  error?: string | undefined
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** Renders the login + consent page. */
export function renderLoginPage(model: LoginPageModel): string {
  const scopes = model.scopes.length > 0 ? model.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('') : '<li>No specific permissions</li>'
  const error = model.error ? `<p role="alert" id="error" class="error">${escapeHtml(model.error)}</p>` : ''
  const described = model.error ? ' aria-describedby="error"' : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in – Portcullis</title>
<style>
body{font:1rem/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}
label{display:block;margin-top:1rem;font-weight:600}
input{font:inherit;width:100%;padding:.5rem;border:1px solid #555;border-radius:4px;box-sizing:border-box}
button{font:inherit;margin:1rem .5rem 0 0;padding:.5rem 1rem;border-radius:4px;border:1px solid #222}
button[value=allow]{background:#0b5394;color:#fff}
:focus-visible{outline:3px solid #f4b400;outline-offset:2px}
.error{color:#a00000;font-weight:600}
</style>
</head>
<body>
<main>
<h1>Sign in</h1>
<p>The application <strong>${escapeHtml(model.clientId)}</strong> asks to act on your behalf.</p>
${error}
<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="request_id" value="${escapeHtml(model.requestId)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<fieldset style="margin-top:1rem">
<legend>It will be allowed to:</legend>
<ul>${scopes}</ul>
</fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form>
</main>
</body>
</html>
`
}
