package main

import (
	"embed"
	"io/fs"
)

// The web UI's build is committed (ui/build), so `go build` and
// `go install` give the whole product without Node; `make ui` rebuilds it
// and `make test` fails when the committed build is stale.
//
//go:embed all:ui/build
var uiBuild embed.FS

func uiFS() fs.FS {
	sub, err := fs.Sub(uiBuild, "ui/build")
	if err != nil {
		panic(err)
	}
	return sub
}
