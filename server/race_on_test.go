//go:build race

package server

// raceDetector is true under -race, whose shadow memory makes RSS
// figures meaningless.
const raceDetector = true
