// Command deskctl is the desk without a window, for trainers and operations:
// opening lines, customers, script packs, complaints, callbacks, statistics,
// sync and a JSON event stream of the phone.
//
// Every command takes --data DIR (default: the desk's own data dir). Errors
// go to stderr with a non-zero exit and change nothing.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one sub-command. Each lives in its own file and registers itself
// from init, so commands can be added without touching this file.
type command struct {
	name    string // may contain a space: "customers import"
	usage   string // one line: arguments after the name
	summary string
	run     func(env *env, args []string) error
}

// env is what every command gets: its streams, so tests can run commands
// in-process.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("deskctl: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage makes run print the command's usage line.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin}))
}

// run finds the longest registered command name that prefixes args and runs it.
func run(args []string, e *env) int {
	for n := min(2, len(args)); n >= 1; n-- {
		c, ok := commands[strings.Join(args[:n], " ")]
		if !ok {
			continue
		}
		err := c.run(e, args[n:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(e.stderr, "usage: deskctl %s %s\n", c.name, c.usage)
			return 2
		default:
			fmt.Fprintf(e.stderr, "deskctl %s: %v\n", c.name, err)
			return 1
		}
	}
	printHelp(e.stderr)
	return 2
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: deskctl COMMAND [flags]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
}
