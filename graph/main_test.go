package graph_test

import (
	"testing"

	"portalgraph/internal/sqlstore/sqltest"
)

func TestMain(m *testing.M) { sqltest.Main(m) }
