package text

// catalogsKo lists the Korean maps of every feature, in lookup order; each
// has the same keys as its English twin (a test checks).
var catalogsKo = []map[string]string{coreKo}

var coreKo = map[string]string{}
