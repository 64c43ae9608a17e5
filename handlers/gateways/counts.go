package gateways

import "context"

// StatusCounts counts the user's gateways by the status the list shows
// (on, stale = no recent report, off, error), for the home overview; the
// same status rules as the table, so both screens agree.
func (h *Handler) StatusCounts(ctx context.Context, token string) (map[string]int, error) {
	gws, err := h.src.AllGateways(ctx, token, gatewaysQuery)
	if err != nil {
		return nil, err
	}
	now := h.now()
	out := map[string]int{}
	for _, r := range rowsOf(ctx, gws, nil) {
		out[r.Status.key(now)]++
	}
	return out, nil
}

// GatewayStates is each gateway's name and status key (on, stale, off,
// error…) now, by id: what "since your last visit" compares.
func (h *Handler) GatewayStates(ctx context.Context, token string) (map[string][2]string, error) {
	gws, err := h.src.AllGateways(ctx, token, gatewaysQuery)
	if err != nil {
		return nil, err
	}
	now := h.now()
	out := map[string][2]string{}
	for _, r := range rowsOf(ctx, gws, nil) {
		out[r.ID] = [2]string{r.Name, r.Status.key(now)}
	}
	return out, nil
}
