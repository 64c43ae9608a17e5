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
