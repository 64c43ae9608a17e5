package text

// since is the text of the "since your last visit" box.
var since = map[string]string{
	"since.title":    "Since your last visit",
	"since.first":    "This is your first visit: there is nothing to compare yet. Next time, this box sums up what changed.",
	"since.nothing":  "Nothing changed since your last visit (%s).",
	"since.lead":     "Since %s:",
	"since.dismiss":  "Hide until my next visit",
	"since.silent":   "Gateway %s went silent (%s).",
	"since.back":     "Gateway %s is back.",
	"since.fired":    "Rule “%s” fired %s.",
	"since.times":    "%d time|%d times",
	"since.failed":   "Rule “%s” fired %s, %d of them failed.",
	"since.change":   "Rule “%s” was %s by %s.",
	"since.peak":     "%s peaked at %d %% (%d of %d in one car).",
	"since.rejected": "%d push to the trains was refused.|%d pushes to the trains were refused.",
}
