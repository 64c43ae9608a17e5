package text

// gateways is the gateways screens' English text.
var gateways = map[string]string{}
