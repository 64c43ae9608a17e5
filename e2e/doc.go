// Package e2e proves the app's main flows in a real browser: headless
// Chromium driven through the DevTools protocol (chromedp) against the
// built binary, the Thing+ sandbox and a real memcached, all on loopback.
//
// Run it with `go test ./e2e/` (the repository's test task runs it with the
// rest of the suite). It needs Debian's `chromium`, `fonts-noto-cjk` and
// `memcached` (`go tool task deps` installs them as root). On a failure the
// page's screenshot and HTML, and the processes' logs, are saved under
// test-output/ at the repository root.
//
// Environment knobs for people working on the suite:
//
//	E2E_BIN=/path/to/thingplus-webapp   use this binary instead of building one
//	E2E_CHROMIUM=/path/to/chromium      use this browser
//	E2E_DEBUG=1                         log chromedp's protocol errors
package e2e
