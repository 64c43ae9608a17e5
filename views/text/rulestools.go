package text

// rulesTools is the text of the rule tools: dry-run, history and restore,
// export and import.
var rulesTools = map[string]string{
	// dry-run
	"rules.dry.title":          "Try on recent data",
	"rules.dry.lead":           "See what this rule, as it stands in the form, would have done with the values Thing+ recorded. Nothing is saved or sent.",
	"rules.dry.window":         "Period",
	"rules.dry.window.hour":    "Last hour",
	"rules.dry.window.day":     "Last day",
	"rules.dry.window.week":    "Last week",
	"rules.dry.run":            "Try it",
	"rules.dry.invalid":        "Fix the marked fields first, then try again.",
	"rules.dry.unavailable":    "Thing+ is not answering, so the recorded values could not be read. Try again in a moment.",
	"rules.dry.unjudgeable":    "This rule cannot be tried here: %s. It was not guessed.",
	"rules.dry.summary":        "times it would have fired, %s (%d values of the trigger sensor).",
	"rules.dry.quota":          "At this rate it would send about %d e-mails a month; the trial plan allows %d, and Thing+ stops a rule beyond that.",
	"rules.dry.truncated":      "A sensor recorded more values than one read returns; only the newest were replayed.",
	"rules.dry.action":         "%s: %d",
	"rules.dry.moments":        "When it would have fired",
	"rules.dry.more":           "…and %d more.",
	"rules.dry.chart":          "Values of the trigger sensor (%d) with %d firings marked",
	"rules.dry.agent.email":    "E-mails",
	"rules.dry.agent.sms":      "Text messages",
	"rules.dry.agent.dataPush": "Pushes",
	"rules.dry.agent.actuator": "Actuator commands",
}
