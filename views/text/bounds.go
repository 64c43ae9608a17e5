package text

// bounds are the texts of the app's limits: a busy or oversized Thing+
// answer, and what a page shows in place of a part that did not arrive.
var bounds = map[string]string{
	"err.busy":      "Thing+ is busy right now. Please try again in a moment.",
	"err.toolarge":  "Thing+ answer too large to show.",
	"err.too_large": "The form is too large to send. Please shorten it.",
}
