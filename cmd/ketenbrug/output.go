package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ketenbrug/ketenbrug/connectors"
	"github.com/spf13/cobra"
)

// output is the -o flag every read command takes: a table for people
// (the default, as kubectl's), or json for scripts — the broker's answer
// as the API gives it, the same field names as the OpenAPI document.
type output struct{ format string }

// The formats of -o.
const (
	outputTable = "table"
	outputJSON  = "json"
)

func (o *output) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", outputTable, "table (for people) or json (the API's fields, for scripts)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outputTable, outputJSON}, cobra.ShellCompDirectiveNoFileComp))
}

// check refuses an unknown format before anything is asked of the broker.
func (o *output) check() error {
	switch o.format {
	case outputTable, outputJSON:
		return nil
	}
	return usageError{fmt.Errorf("-o %s: use -o table (for people) or -o json (for scripts)", o.format)}
}

// print writes v as JSON with -o json, else as table writes it.
func (o *output) print(cmd *cobra.Command, v any, table func(w io.Writer) error) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.format == outputJSON {
		return printJSON(cmd.OutOrStdout(), v)
	}
	return table(cmd.OutOrStdout())
}

// withOutput gives a read command the -o flag, checked before its run
// asks anything of the broker; its run prints through emit.
func withOutput(cmd *cobra.Command) *cobra.Command {
	var o output
	o.register(cmd)
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := o.check(); err != nil {
			return err
		}
		return run(cmd, args)
	}
	return cmd
}

// emit prints v as the command's -o asks: as JSON, or with table.
func emit(cmd *cobra.Command, v any, table func(w io.Writer) error) error {
	o := output{format: outputTable}
	if f := cmd.Flags().Lookup("output"); f != nil {
		o.format = f.Value.String()
	}
	return o.print(cmd, v, table)
}

// readCommand is a client command that reads: it takes -o (withOutput)
// and prints what fetch returns with table, or as JSON.
func readCommand[T any](use, short string, args cobra.PositionalArgs, setup func(*cobra.Command),
	fetch func(cmd *cobra.Command, c *connectors.Client, args []string) (T, error), table func(w io.Writer, v T) error) *cobra.Command {
	return withOutput(clientCommand(use, short, args, setup, func(cmd *cobra.Command, c *connectors.Client, args []string) error {
		v, err := fetch(cmd, c, args)
		if err != nil {
			return err
		}
		return emit(cmd, v, func(w io.Writer) error { return table(w, v) })
	}))
}

// fieldTable writes name: value lines, aligned, leaving out empty values.
func fieldTable(w io.Writer, rows ...[2]string) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, r := range rows {
		if r[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
		}
	}
	return tw.Flush()
}

// orDash prints an empty field of a table as "-", so that its columns
// stay readable.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortID shortens a policy version's hash to the 12 characters a person
// reads and types, as git does.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
