// "did you mean ...?" for mistyped subcommands and options (edit distance over CLI11's names).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "common.h"

namespace tfjs::cli {

size_t editDistance(const std::string& a, const std::string& b) {
  // Optimal string alignment distance: Levenshtein plus transposition of neighbours.
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string closestName(const std::string& typed, const std::vector<std::string>& names) {
  std::string best;
  size_t bestDistance = SIZE_MAX;
  for (const auto& name : names) {
    const size_t dist = editDistance(typed, name);
    if (dist < bestDistance) {
      bestDistance = dist;
      best = name;
    }
  }
  // A likely typo: at most a third of the typed name differs (at least 1, at most 3 edits), or
  // the typed text is the start of the name ("--batch" for "--batch-size").
  auto bare = [](const std::string& s) { return s.substr(s.find_first_not_of('-')); };
  const size_t core = typed.find_first_not_of('-') == std::string::npos ? 0 : bare(typed).size();
  if (core < 2) return "";  // "-x": any other letter is as close
  const size_t allowed = std::clamp<size_t>(core / 3, 1, 3);
  if (!best.empty() && bestDistance <= allowed) return best;
  if (core >= 3) {
    for (const auto& name : names) {
      if (name.starts_with(typed)) return name;
    }
  }
  return "";
}

namespace {

// Every spelling of the options of `app` ("--epochs", "-q", ...), help included.
std::vector<std::string> optionNames(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames()) out.push_back("--" + l);
    for (const auto& s : opt->get_snames()) out.push_back("-" + s);
  }
  return out;
}

std::string commandList(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); })) {
    if (!out.empty()) out += ", ";
    out += sub->get_name();
  }
  return out;
}

}  // namespace

int reportUnknownArguments(const CLI::App& app) {
  const auto parsed = app.get_subcommands();
  if (parsed.empty()) {
    // No subcommand recognised: the first word left over is a mistyped (or unknown) command.
    for (const auto& word : app.remaining()) {
      if (word.empty() || word[0] == '-') continue;
      std::vector<std::string> names;
      for (const CLI::App* sub :
           app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); })) {
        names.push_back(sub->get_name());
      }
      const std::string guess = closestName(word, names);
      if (!guess.empty()) {
        std::fprintf(stderr, "tfjs: unknown command '%s'; did you mean '%s'?\n", word.c_str(),
                     guess.c_str());
      } else {
        std::fprintf(stderr, "tfjs: unknown command '%s' (commands: %s)\n", word.c_str(),
                     commandList(app).c_str());
      }
      std::fprintf(stderr, "Run with --help for more information.\n");
      return kUsage;
    }
    return -1;
  }
  bool printed = false;
  for (const CLI::App* sub : parsed) {
    const auto names = optionNames(*sub);
    for (const auto& word : sub->remaining()) {
      if (word.size() < 2 || word[0] != '-' || (word[1] >= '0' && word[1] <= '9')) continue;
      const std::string flag = word.substr(0, word.find('='));
      const std::string guess = closestName(flag, names);
      if (!guess.empty()) {
        std::fprintf(stderr, "tfjs %s: unknown option '%s'; did you mean '%s'?\n",
                     sub->get_name().c_str(), flag.c_str(), guess.c_str());
      } else {
        std::fprintf(stderr, "tfjs %s: unknown option '%s'\n", sub->get_name().c_str(),
                     flag.c_str());
      }
      printed = true;
    }
    if (printed) {
      std::fprintf(stderr, "Run 'tfjs %s --help' for its options.\n", sub->get_name().c_str());
      return kUsage;
    }
  }
  return -1;
}

}  // namespace tfjs::cli
