// Package agent holds the hotline's domain: customers, calls, complaints
// ("five clears, one report"), callbacks, agent states and daily statistics.
//
// Rules and deadlines are plain functions of data and an instant: nothing in
// this package reads the wall clock, touches the disk or the network, or
// imports Fyne, sipgo or bbolt. Callers pass a Clock (or a time.Time) in.
package agent
