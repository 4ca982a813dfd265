package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"portalgraph/internal/portal"
	"portalgraph/internal/sqlstore"
)

// workspace plan and workspace addon: operators put a workspace on a plan
// and give it add-ons. Servers read a workspace's plan with every request,
// so a change counts from the next request of every server, with nothing
// to restart or clear.

func workspacePlanCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	cl := newCommandLine("workspace plan", "WORKSPACE [PLAN]",
		`Put the workspace (by its slug) on a plan: free, pro or business. Without a plan,
print the workspace's plan, add-ons, features and the plans there are.`)
	if help, err := cl.parseWithArguments(flagsFirst(args), stdout); help || err != nil {
		return err
	}
	if cl.NArg() < 1 || cl.NArg() > 2 {
		return fmt.Errorf("usage: portalgraph workspace plan %s", cl.synopsis)
	}
	store, err := openStore(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	slug := cl.Arg(0)
	if cl.NArg() == 2 {
		if err := store.SetPlan(ctx, slug, cl.Arg(1)); err != nil {
			return fmt.Errorf("workspace plan: %w", err)
		}
	}
	return printWorkspacePlan(ctx, store, slug, stdout)
}

func workspaceAddOnCommand(ctx context.Context, cfg config, args []string, stdout io.Writer, logger *slog.Logger) error {
	cl := newCommandLine("workspace addon", "add|remove WORKSPACE ADDON",
		`Give the workspace (by its slug) an add-on, or take one away; print the workspace's
plan, add-ons and features.`)
	if help, err := cl.parseWithArguments(flagsFirst(args), stdout); help || err != nil {
		return err
	}
	if cl.NArg() != 3 || (cl.Arg(0) != "add" && cl.Arg(0) != "remove") {
		return fmt.Errorf("usage: portalgraph workspace addon %s", cl.synopsis)
	}
	store, err := openStore(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	slug, addOn := cl.Arg(1), cl.Arg(2)
	change := store.AddAddOn
	if cl.Arg(0) == "remove" {
		change = store.RemoveAddOn
	}
	if err := change(ctx, slug, addOn); err != nil {
		return fmt.Errorf("workspace addon %s: %w", cl.Arg(0), err)
	}
	return printWorkspacePlan(ctx, store, slug, stdout)
}

// parseWithArguments is parse for a command that takes arguments after
// its flags.
func (c *commandLine) parseWithArguments(args []string, stdout io.Writer) (help bool, err error) {
	err = c.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printUsage(stdout)
		return true, nil
	case err != nil:
		return false, fmt.Errorf("%s: %w (see portalgraph %s --help)", c.name, err, c.name)
	}
	return false, nil
}

// flagsFirst lets -h and --help follow the positional arguments too.
func flagsFirst(args []string) []string {
	var flags, rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}

func printWorkspacePlan(ctx context.Context, store *sqlstore.Store, slug string, w io.Writer) error {
	ws, err := store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return err
	}
	if ws == nil {
		return fmt.Errorf("no workspace with slug %q", slug)
	}
	staff := portal.Principal{Audience: portal.AudienceStaff, WorkspaceID: ws.ID}
	plan, err := store.WorkspacePlan(ctx, staff)
	if err != nil {
		return err
	}
	usage, err := store.Usage(ctx, staff)
	if err != nil {
		return err
	}
	addOns := make([]string, len(plan.AddOns))
	for i, a := range plan.AddOns {
		addOns[i] = a.Key
	}
	fmt.Fprintf(w, "Workspace %s is on the %s plan", ws.Slug, plan.Plan.Key)
	if len(addOns) > 0 {
		fmt.Fprintf(w, " with the add-ons %s", strings.Join(addOns, ", "))
	}
	fmt.Fprintf(w, ".\nFeatures: %s\n", strings.ToLower(plan.Features().String()))
	for _, u := range usage {
		limit := "unlimited"
		if u.Max != nil {
			limit = fmt.Sprint(*u.Max)
		}
		fmt.Fprintf(w, "  %-18s %d of %s\n", strings.ToLower(string(u.Kind)), u.Count, limit)
	}
	plans, err := store.Plans(ctx)
	if err != nil {
		return err
	}
	all, err := store.AddOns(ctx)
	if err != nil {
		return err
	}
	keys := make([]string, len(plans))
	for i, p := range plans {
		keys[i] = p.Key
	}
	fmt.Fprintf(w, "Plans: %s\n", strings.Join(keys, ", "))
	keys = make([]string, len(all))
	for i, a := range all {
		keys[i] = a.Key
	}
	_, err = fmt.Fprintf(w, "Add-ons: %s\n", strings.Join(keys, ", "))
	return err
}
