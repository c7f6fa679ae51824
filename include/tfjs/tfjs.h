// tfjs/tfjs.h — the whole public API in one include.
#pragma once

#include "tfjs/artifacts.h"
#include "tfjs/builder.h"
#include "tfjs/convert.h"
#include "tfjs/dtype.h"
#include "tfjs/error.h"
#include "tfjs/graph_model.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/npy.h"
#include "tfjs/summary.h"
#include "tfjs/tensor.h"
#include "tfjs/train.h"
#include "tfjs/version.h"
#include "tfjs/weights.h"
