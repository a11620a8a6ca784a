package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes, documented in the root command's help and the README.
const (
	// ExitOK: the command ran and nothing crossed a failure threshold.
	ExitOK = 0
	// ExitFailed: the command ran and its answer is "no": a verify
	// expectation failed, or audit findings reached --fail-on.
	ExitFailed = 1
	// ExitUsage: unknown command or flag, or a flag value that is not valid.
	ExitUsage = 2
	// ExitInput: manifests or expectation files that cannot be read or
	// decoded, or objects the engine cannot evaluate (invalid selector, CIDR, port).
	ExitInput = 3
	// ExitCluster: the cluster could not be read: no kubeconfig, unknown
	// context, unreachable API server, timeout, or RBAC denial.
	ExitCluster = 4
	// ExitInternal: anything else; a bug worth reporting.
	ExitInternal = 5
	// ExitPartial: with several contexts, some could not be read; the
	// others' results were printed in full.
	ExitPartial = 6
)

const exitCodeHelp = `Exit codes:
  0  success (and nothing crossed --fail-on)
  1  the answer is "no": a verify expectation failed, or findings reached --fail-on
  2  usage error: unknown command or flag, invalid flag value
  3  input error: unreadable or malformed manifests or expectation files, invalid policy objects
  4  cluster error: no kubeconfig, unknown context, API server unreachable or timed out, RBAC denial
     (with several contexts: none could be read)
  5  internal error
  6  with several contexts: some could not be read (each error names its context); the others' results are complete`

// Error is an error with an exit code and a hint saying what to do about it.
type Error struct {
	Code int
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &Error{Code: ExitUsage, Err: fmt.Errorf(format, args...), Hint: "see --help for usage"}
}

func inputError(err error, hint string) error {
	return &Error{Code: ExitInput, Err: err, Hint: hint}
}

// errFailed is returned when the command worked and its answer is "no"; the
// output already said why, so nothing more is printed.
var errFailed = &Error{Code: ExitFailed, Err: errors.New("failed")}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	// cobra's own errors: unknown command, unknown or malformed flag.
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "accepts ", "requires ", "if any flags in the group", "none of the others can be"} {
		if strings.Contains(msg, p) {
			return ExitUsage
		}
	}
	return ExitInternal
}

// printError writes "Error: cause" and, when known, "Hint: what to do".
func printError(w io.Writer, err error) {
	if err == nil || err == errFailed {
		return
	}
	fmt.Fprintf(w, "Error: %s\n", err)
	var e *Error
	switch {
	case errors.As(err, &e) && e.Hint != "":
		fmt.Fprintf(w, "Hint: %s\n", e.Hint)
	case exitCode(err) == ExitUsage:
		fmt.Fprintf(w, "Hint: see 'kubectl netaudit --help' for usage\n")
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func readAll(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("no standard input")
	}
	return io.ReadAll(r)
}
