# Copyright (c) mmext contributors. All rights reserved.
