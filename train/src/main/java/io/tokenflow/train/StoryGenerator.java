package io.tokenflow.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Short stories from a small grammar, in the manner of TinyStories: a named character, a friend, a place and an
 * object; finding, sharing, a small problem and its fix, short dialogue lines in quotes; simple past tense; 3 to 10
 * sentences. The prompt is the first sentence, the answer the rest. The length target is ignored.
 */
public final class StoryGenerator extends SplitTask {
    public static final String FAMILY = "story";

    @Override
    public String family() { return FAMILY; }

    /** A character: how the story names it and its pronouns. */
    private record Who(String name, String he, String him, String his, String intro) {}

    private static Who person(Rng rng, boolean girl) {
        String name = girl ? rng.pick(Words.GIRLS) : rng.pick(Words.BOYS);
        String kind = girl ? rng.pick(Words.GIRL_KINDS) : rng.pick(Words.BOY_KINDS);
        return girl ? new Who(name, "she", "her", "her", "a " + kind + " named " + name)
                : new Who(name, "he", "him", "his", "a " + kind + " named " + name);
    }

    private static Who animal(Rng rng) {
        String name = rng.pick(Words.ANIMAL_NAMES);
        String adj = rng.pick(Words.ADJECTIVES);
        String kind = rng.pick(Words.ANIMALS);
        return new Who(name, "it", "it", "its", Words.article(adj) + " " + adj + " " + kind + " named " + name);
    }

    @Override
    Draw draw(Rng rng, Split split, int targetLength, LengthMeasure measure) {
        Who hero = person(rng, rng.chance(0.5));
        Who friend = rng.chance(0.4) ? animal(rng) : person(rng, rng.chance(0.5));
        if (friend.name.equals(hero.name)) friend = animal(rng);
        String place = rng.pick(Words.PLACES);
        String color = rng.pick(Words.COLORS);
        String object = rng.pick(Words.OBJECTS);
        String thing = color + " " + object;
        int target = rng.between(3, 10);

        List<String> s = new ArrayList<>();
        s.add(rng.chance(0.5)
                ? "Once upon a time, there was " + hero.intro + "."
                : Words.capitalize(hero.intro) + " lived near a big " + place + ".");
        boolean setting = target >= 5 && rng.chance(0.7);
        boolean withFriend = target >= 4;
        boolean problem = target >= 7;
        int dialogue = target - 3 - (setting ? 2 : 0) - (withFriend ? 1 : 0) - (problem ? 3 : 0);
        if (setting) {
            s.add("One " + rng.pick(Words.TIMES) + " day, " + hero.name + " went to the " + place + ".");
            s.add(rng.pick(Words.WEATHER));
        }
        s.add(Words.capitalize(hero.he) + " found " + Words.article(color) + " " + thing + " "
                + rng.pick(Words.SPOTS) + ".");
        if (withFriend) {
            s.add(friend.name + " came to see what " + hero.he + " had found.");
        }
        String[][] lines = {
            {"\"Look at this " + object + "!\" said " + hero.name + ".",
                "\"What a nice " + object + "!\" said " + hero.name + "."},
            {"\"Can I play with it too?\" asked " + friend.name + ".",
                "\"Can we share it?\" asked " + friend.name + "."},
            {"\"Yes, let us play together,\" said " + hero.name + ".",
                "\"Of course, we can take turns,\" said " + hero.name + "."},
        };
        for (int i = 0; i < Math.max(0, dialogue) && i < lines.length; i++) {
            s.add(rng.pick(lines[i]));
        }
        for (int i = lines.length; i < dialogue; i++) {
            s.add("They played with the " + object + " for a long time.");
        }
        if (problem) {
            s.add(rng.chance(0.5)
                    ? "Suddenly, the wind blew the " + object + " into a tall tree."
                    : "Then the " + object + " fell into the water and floated away.");
            s.add(hero.name + " felt " + rng.pick(Words.FEELINGS) + ", but " + friend.name + " had an idea.");
            s.add(rng.chance(0.5)
                    ? "Together they used a long stick to get the " + object + " back."
                    : Words.capitalize(friend.he) + " helped " + hero.name + " bring the " + object + " back.");
        }
        s.add(rng.chance(0.5)
                ? hero.name + " was " + rng.pick(Words.GOOD_FEELINGS) + ", and " + hero.he + " learned that "
                        + rng.pick(Words.LESSONS) + "."
                : "From that day on, " + hero.name + " and " + friend.name + " played with the " + thing
                        + " every day.");
        String rest = " " + String.join(" ", s.subList(1, s.size()));
        return new Draw(s.get(0), rest, List.of());
    }
}
