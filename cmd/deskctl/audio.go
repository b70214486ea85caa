package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"agentdesk/telephony/audio"
)

func init() {
	register(&command{
		name:    "audio devices",
		usage:   "[--data DIR]",
		summary: "list the sound devices (JSON: input and output, each with id, name, default)",
		run:     audioDevices,
	})
	register(&command{
		name:    "audio check",
		usage:   "[--input NAME] [--output NAME] [--ring NAME] [--data DIR]",
		summary: "play a test tone on the output and the ring device, measure the input level (JSON report)",
		run:     audioCheck,
	})
}

// audioFlags are the device choices every audio command takes: a name,
// an ID or a unique part of a name; empty is the system default.
type audioFlags struct {
	input, output, ring *string
}

func addAudioFlags(fs *flag.FlagSet) audioFlags {
	return audioFlags{
		input:  fs.String("input", "", "microphone: a device name, ID or unique part of a name (default: the system's)"),
		output: fs.String("output", "", "earpiece: a device name, ID or unique part of a name (default: the system's)"),
		ring:   fs.String("ring", "", "ring device: a device name, ID or unique part of a name (default: the system's)"),
	}
}

func (a audioFlags) config() audio.Config {
	return audio.Config{Input: *a.input, Output: *a.output, Ring: *a.ring}
}

// deviceList is what audio devices prints.
type deviceList struct {
	Input  []audio.Device `json:"input"`
	Output []audio.Device `json:"output"`
}

func audioDevices(e *env, args []string) error {
	fs := flag.NewFlagSet("deskctl audio devices", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.String("data", "", "the desk's data directory (unused: devices belong to the machine)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	be := audio.NewBackend(slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	defer be.Close()
	var out deviceList
	var err error
	if out.Input, err = be.Devices(audio.Capture); err != nil {
		return fmt.Errorf("list input devices: %w", err)
	}
	if out.Output, err = be.Devices(audio.Playback); err != nil {
		return fmt.Errorf("list output devices: %w", err)
	}
	if out.Input == nil {
		out.Input = []audio.Device{}
	}
	if out.Output == nil {
		out.Output = []audio.Device{}
	}
	return printJSON(e, out)
}

func audioCheck(e *env, args []string) error {
	fs := flag.NewFlagSet("deskctl audio check", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	devs := addAudioFlags(fs)
	fs.String("data", "", "the desk's data directory (unused: devices belong to the machine)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := audio.Check(ctx, devs.config(),
		audio.WithLogger(slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	// The report says what each device did, also when one failed.
	if perr := printJSON(e, rep); perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	return nil
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
