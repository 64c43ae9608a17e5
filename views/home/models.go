package home

// Overview is the signed-in home page's figures; a nil card is not shown.
type Overview struct {
	Gateways *GatewayCard
	Rules    *RuleCard
	Firings  *FiringCard
	Crowded  *CrowdCard
	Refused  *RefusedCard
}

// GatewayCard counts gateways by status.
type GatewayCard struct {
	On, Stale, Off, Error int
	Problem               string
}

// RuleCard counts the rules that are not templates.
type RuleCard struct {
	Active, Total int
	Problem       string
}

// FiringCard lists the latest rule firings.
type FiringCard struct {
	Items   []Firing
	Problem string
}

// Firing is one rule firing.
type Firing struct {
	Rule, When string
	OK         bool
}

// CrowdCard lists the fullest cars.
type CrowdCard struct {
	Cars    []CrowdedCar
	Problem string
}

// CrowdedCar is a car and how full it is.
type CrowdedCar struct {
	Train, Car  string
	Count, Pct  int
	Level, Kind string
}

// RefusedCard counts today's refused pushes.
type RefusedCard struct {
	Today   int
	Problem string
}
