package text

// ops are the texts of running the app: the Thing+ sign-in running out.
var ops = map[string]string{
	"auth.expiring":         "Your Thing+ sign-in ends in %s.",
	"auth.expiring.hours":   "%d h",
	"auth.expiring.minutes": "%d min",
	"auth.renew":            "Sign in again",
}
