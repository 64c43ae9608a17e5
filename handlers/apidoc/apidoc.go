// Package apidoc serves the OpenAPI 3 document of the app's own API: the
// Thing+ webhook and the trains JSON API (GET /api/openapi.json).
package apidoc

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Spec is the OpenAPI document (a test checks real responses against it).
//
//go:embed openapi.json
var Spec []byte

// Handler serves Spec.
func Handler(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", Spec)
}
