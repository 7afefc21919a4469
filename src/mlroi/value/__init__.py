"""Value: metric lifts turned into money per month over the horizon."""
