// Command generate runs gqlgen with gqlgen.yml, and with one more output:
// graph/generated/fields.go, what the planner needs to execute a field
// exactly as gqlgen's generated code does (see fields.go).
//
//	go run ./internal/generate
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(fieldsPlugin{filename: "graph/generated/fields.go"})); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(3)
	}
}
