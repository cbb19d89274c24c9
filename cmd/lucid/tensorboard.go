package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/lucid-nlp/lucid/report"
)

// tensorBoardUsage is --tensorboard's help, the same on audit, compare and
// bench.
const tensorBoardUsage = "folder to add a TensorBoard event file to (events.out.tfevents.*): this run's figures as scalars at step = the number of event files already there, verdicts as text; view with tensorboard --logdir, or wandb sync"

func registerTensorBoard(fs *flag.FlagSet) *string {
	return fs.String("tensorboard", "", tensorBoardUsage)
}

// writeTensorBoard adds run to the TensorBoard folder dir (nothing when dir
// is empty) and says where.
func writeTensorBoard(dir string, run report.HistoryRun, stdout io.Writer) error {
	if dir == "" {
		return nil
	}
	path, step, err := report.WriteTensorBoard(dir, run)
	if err != nil {
		return fmt.Errorf("--tensorboard: %w", err)
	}
	fmt.Fprintf(stdout, "tensorboard: %s (step %d, %d figures)\n", termSafe(path), step, len(run.Metrics))
	return nil
}
