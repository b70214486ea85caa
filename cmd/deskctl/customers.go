package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
)

func init() {
	register(&command{
		name:    "customers import",
		usage:   "FILE.csv [--data DIR]",
		summary: "import customers from a CSV file (all rows or none)",
		run:     customersImport,
	})
	register(&command{
		name:    "customers lookup",
		usage:   "NUMBER [--data DIR]",
		summary: "print the customers with a phone number as JSON",
		run:     customersLookup,
	})
}

// customersArgs parses --data placed before or after the one positional
// argument and returns the data dir and that argument.
func customersArgs(name string, e *env, args []string) (dataDir, arg string, err error) {
	fl := flag.NewFlagSet("deskctl "+name, flag.ContinueOnError)
	fl.SetOutput(e.stderr)
	fl.StringVar(&dataDir, "data", desk.DefaultDataDir(), "the desk's data `DIR`")
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", "", err
			}
			return "", "", errUsage
		}
		if fl.NArg() == 0 {
			break
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
	if len(pos) != 1 {
		return "", "", errUsage
	}
	return dataDir, pos[0], nil
}

func openCustomerStore(e *env, dataDir string) (*store.Store, error) {
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return openDataFile(filepath.Join(dataDir, "desk.db"), log)
}

// customersImport stores every row of a CSV file, or none: each bad row is
// printed as FILE:LINE: problem on stderr and the command fails.
func customersImport(e *env, args []string) error {
	dataDir, file, err := customersArgs("customers import", e, args)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	path := filepath.Join(dataDir, "desk.db")
	_, statErr := os.Stat(path)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	s, err := openCustomerStore(e, dataDir)
	if err != nil {
		return err
	}
	res, err := s.ImportCSV(f, file, agent.SystemClock{}.Now())
	if cerr := s.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil && fresh {
		os.Remove(path) // a failed import into a new data dir leaves no file behind
	}
	var ie *store.ImportError
	if errors.As(err, &ie) {
		fmt.Fprintln(e.stderr, ie.Error())
		return fmt.Errorf("%s: %d bad rows; nothing imported", file, len(ie.Rows)+ie.More)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d customers from %s (%d new, %d updated)\n", res.Rows, file, res.Created, res.Updated)
	return nil
}

// customersLookup prints a JSON array of the customers with a number ([] when
// none). A data dir without a data file has no customers: it prints [] and
// creates nothing.
func customersLookup(e *env, args []string) error {
	dataDir, number, err := customersArgs("customers lookup", e, args)
	if err != nil {
		return err
	}
	if _, err := agent.NormalizePhone(number); err != nil {
		return err
	}
	found := []agent.Customer{}
	if _, err := os.Stat(filepath.Join(dataDir, "desk.db")); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "deskctl customers lookup: no data file in %s: no customers\n", dataDir)
	} else {
		s, err := openCustomerStore(e, dataDir)
		if err != nil {
			return err
		}
		defer s.Close()
		cs, err := s.LookupPhone(number)
		if err != nil {
			return err
		}
		found = append(found, cs...)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(found)
}
