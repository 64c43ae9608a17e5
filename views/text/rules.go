package text

// rules is the rules screens' English text.
var rules = map[string]string{}
