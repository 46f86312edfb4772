// Command embedded-python extracts the CPython that github.com/kluctl/go-embed-python
// embeds for the GOOS/GOARCH it was built for (python-build-standalone) into
// the directory given as its argument, and prints the interpreter's path.
//
// Built for windows/amd64 and run under wine, it provides a real Windows
// CPython on a Linux machine for smoke-testing Windows wheels; built natively,
// a Linux CPython of a version the machine may lack.
package main

import (
	"fmt"
	"os"

	"github.com/kluctl/go-embed-python/python"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: embedded-python DIR")
		os.Exit(2)
	}
	ep, err := python.NewEmbeddedPythonWithTmpDir(os.Args[1], false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exe, err := ep.GetExePath()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(exe)
}
