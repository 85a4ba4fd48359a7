// Command gomodzip lays out a Go module the way a module proxy serves it (GOPROXY's file
// layout: <proxy>/<escaped module path>/@v/{list, <version>.info, .mod, .zip}), with
// golang.org/x/mod/zip: the zip is exactly what `go mod download` checks, so a go.sum line
// written from this proxy is the one a user gets. release/build runs it on the staged Go
// module (bindings/go plus its header and prebuilt archives).
//
// Usage: go run . <module dir> <module path> <version> <proxy dir> <commit time, RFC 3339>
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gomodzip:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 5 {
		return fmt.Errorf("usage: gomodzip <module dir> <module path> <version> <proxy dir> <commit time>")
	}
	dir, path, version, proxy := args[0], args[1], args[2], args[3]
	when, err := time.Parse(time.RFC3339, args[4])
	if err != nil {
		return fmt.Errorf("commit time %q: %w", args[4], err)
	}
	mv := module.Version{Path: path, Version: version}
	if err := module.Check(path, version); err != nil {
		return err
	}
	escaped, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	at := filepath.Join(proxy, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}
	zipFile, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(zipFile, mv, dir); err != nil {
		zipFile.Close()
		return fmt.Errorf("module zip: %w", err)
	}
	if err := zipFile.Close(); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(at, version+".mod"), gomod, 0o644); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, when.UTC()})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(at, version+".info"), info, 0o644); err != nil {
		return err
	}
	var versions []string
	if old, err := os.ReadFile(filepath.Join(at, "list")); err == nil {
		versions = strings.Fields(string(old))
	}
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	return os.WriteFile(filepath.Join(at, "list"), []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
