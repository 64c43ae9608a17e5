package text

// trains is the trains screens' English text.
var trains = map[string]string{}
